extension Route {
    /// A symbol as the routes accept it (upper-cased, checked), for callers outside the bridge (the Lambda's
    /// `$connect ?symbols=`): INVALID_ARGUMENT with the reason otherwise.
    public static func checkedSymbol(_ text: String) throws(BridgeError) -> String { try symbol(text) }
}
