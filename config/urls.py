from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("auth/", include("allauth.urls")),
    path("", include("advisory.urls")),
    path("", include("portfolios.urls")),
    path("", include("reports.urls")),
]
