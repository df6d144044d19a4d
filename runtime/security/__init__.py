"""Security of the cluster's connections (docs/security.md): CURVE keys and the ZAP
authenticator for every ZeroMQ socket, who may call which RPC method, TLS for REST, and
rate-limited logging of refused peers and malformed frames."""
