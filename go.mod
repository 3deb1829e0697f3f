module github.com/lambdaguard/lambdaguard

go 1.26

require (
	github.com/aws/aws-lambda-go v1.55.1 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/stretchr/testify v1.11.1 // indirect
	go.uber.org/goleak v1.3.0 // indirect
)
