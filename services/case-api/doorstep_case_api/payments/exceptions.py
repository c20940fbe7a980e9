from doorstep_shared.errors import NotFoundError, ProblemError


class AccountNotFoundError(NotFoundError):
    type_slug = "account-not-found"
    title = "Account not found"


class PaymentReferenceReusedError(ProblemError):
    status = 409
    type_slug = "payment-reference-reused"
    title = "Payment reference already used for a different payment"


class PaymentCurrencyMismatchError(ProblemError):
    # 409, like a snapshot's currency change: the body is well-formed, it conflicts with the
    # currency the account is kept in.
    status = 409
    type_slug = "payment-currency-mismatch"
    title = "Payment currency differs from the account's currency"
