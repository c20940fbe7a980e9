"""Exit codes the operator commands share, for scripts and alerts to rely on."""

OK = 0  # done, or within the limits
LIMIT_EXCEEDED = 1  # a --max-* limit exceeded, or a replay stopped part way
UNREACHABLE = 2  # the broker or the database did not answer, or bad usage (argparse's 2 too)
