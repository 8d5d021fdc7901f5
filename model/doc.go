// Package model is the autoregressive network that represents a row distribution p(x).
package model
