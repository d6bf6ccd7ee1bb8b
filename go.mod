module github.com/modelsurg/modelsurg

go 1.26.8

require (
	github.com/spf13/cobra v1.10.2
	gonum.org/v1/hdf5 v0.0.0-20210714002203-8c5d23bc6946
)

require (
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/spf13/pflag v1.0.9 // indirect
)
