// Package train fits a model.Model to the Perron vector of a statmech.System's transfer
// matrix and estimates the free energy and the observables from it, with error bars.
package train
