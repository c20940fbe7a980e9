from doorstep_shared.errors import NotFoundError, ProblemError


class ReceiptUnmatchedError(NotFoundError):
    type_slug = "receipt-unmatched"
    title = "No sent message matches the receipt"


class ReceiptTooEarlyError(ProblemError):
    status = 409
    type_slug = "receipt-too-early"
    title = "The message is not recorded as sent yet"
