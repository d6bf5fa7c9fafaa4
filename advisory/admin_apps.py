from django.contrib.admin.apps import AdminConfig


class BallastAdminConfig(AdminConfig):
    """The admin app with Ballast's firm-scoped site as the default site."""

    default_site = "advisory.admin_site.BallastAdminSite"
