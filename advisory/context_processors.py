from django.http import HttpRequest


def firm(request: HttpRequest) -> dict:
    """The current firm and membership, for the layout's navigation."""
    return {
        "current_firm": getattr(request, "firm", None),
        "current_membership": getattr(request, "membership", None),
    }
