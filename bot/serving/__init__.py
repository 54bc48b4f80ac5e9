"""The HTTP process: the server with its health, metrics and sweeps, and the request gate."""
