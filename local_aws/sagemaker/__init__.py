"""SageMaker: the control plane over moto, InvokeEndpoint, serve instances."""
