/// `a / b` rounded toward negative infinity (`b` > 0): the second, minute or day a time before 1970 falls in, where
/// Swift's `/` would round toward zero.
func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }
