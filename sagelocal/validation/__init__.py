"""The checks AWS makes on every request's members (pattern, length, range, enum), read from botocore's service
models: used by the HTTP layer on each request and by the pipeline engine on each step's request."""
