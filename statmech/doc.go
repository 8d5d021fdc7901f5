// Package statmech defines the lattice models that critsweep studies and the exact
// references it is checked against.
//
// A model is given by its bond weight W, a positive q×q matrix (Ising, Potts, clock or a
// custom matrix). From W the package computes the row-to-row transfer weight
// T(x,x') = Th(x')·Π_i W(x_i, x'_i) and its marginal T(x') in log space, for hard and for
// relaxed one-hot rows, with a periodic or a twisted seam; the Perron vector of the transfer
// matrix by power iteration applied site by site; Kaufman's closed form for the Ising model;
// and the observables of a row distribution.
package statmech
