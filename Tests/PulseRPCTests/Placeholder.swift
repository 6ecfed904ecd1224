// Tests arrive with the transport.
