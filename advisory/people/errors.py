"""The one error the people actions raise: a refusal whose message is shown as it is."""


class Refused(Exception):
    """The action was refused and nothing was written; ``str(exc)`` says why, for the user."""
