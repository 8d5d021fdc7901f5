//go:build !amd64 || purego

package model

func bestKernel() kernel { return goKernel }
