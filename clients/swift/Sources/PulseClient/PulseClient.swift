// PulseClient: the Swift client library.
