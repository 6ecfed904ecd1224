// Tests arrive with the codec.
