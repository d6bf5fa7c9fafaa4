"""The Django admin, scoped to the firm and audited.

Only firm admins may use it. Every query runs inside the request's firm scope
(FirmScopeMiddleware), another firm's object id is a 404, and every save or
delete made here writes exactly one audit event with before/after values.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import Http404, HttpRequest

from . import audit_actions
from .audit import record, record_change, snapshot
from .models import Role


def _is_firm_admin(request: HttpRequest) -> bool:
    membership = getattr(request, "membership", None)
    return bool(membership and membership.role == Role.ADMIN and request.user.is_active)


class BallastAdminSite(admin.AdminSite):
    site_header = "Ballast administration"
    site_title = "Ballast admin"
    index_title = "Firm data"
    enable_nav_sidebar = False

    def has_permission(self, request: HttpRequest) -> bool:
        return _is_firm_admin(request)

    def admin_view(self, view: Any, cacheable: bool = False) -> Any:
        inner = super().admin_view(view, cacheable)

        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            # Use the site's own login for anonymous users; an authenticated
            # user without the admin role gets 403, not the admin login form.
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not self.has_permission(request):
                raise PermissionDenied("Only firm admins can use the admin site.")
            return inner(request, *args, **kwargs)

        guarded.__wrapped__ = inner  # type: ignore[attr-defined]
        return guarded

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> Any:
        return redirect_to_login(request.GET.get("next", "/admin/"))


class FirmModelAdmin(admin.ModelAdmin):
    """Base for firm-owned models: sets the firm, audits, 404s what is hidden."""

    exclude = ("firm",)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_firm_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_firm_admin(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _is_firm_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_firm_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_firm_admin(request)

    def get_urls(self) -> list:
        # Drop Django's legacy "<id>/" → "<id>/change/" redirect: it answers
        # 302 for any id, ours or another firm's. Such paths now 404.
        return [u for u in super().get_urls() if getattr(u, "name", None) is not None]

    def _get_obj_does_not_exist_redirect(self, request: HttpRequest, opts: Any, object_id: str):
        raise Http404("No such object.")

    # Reads of firm data in the admin are audited like the pages': an object opened, and the
    # ids a list page showed.
    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        response = super().change_view(request, object_id, form_url, extra_context)
        original = (getattr(response, "context_data", None) or {}).get("original")
        if request.method == "GET" and response.status_code == 200 and original is not None:
            record(firm=request.firm, action=audit_actions.ADMIN_VIEWED.code, obj=original)
        return response

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if request.method == "GET" and changelist is not None:
            ids = [obj.pk for obj in changelist.result_list]
            record(
                firm=request.firm,
                action=audit_actions.ADMIN_LISTED.code,
                object_type=self.model._meta.label_lower,
                changes={"ids": ids, "count": len(ids)},
            )
        return response

    def save_model(self, request: HttpRequest, obj: models.Model, form: Any, change: bool) -> None:
        before = None
        if change:
            stored = type(obj)._default_manager.filter(pk=obj.pk).first()
            before = snapshot(stored) if stored is not None else None
        else:
            obj.firm = request.firm
        super().save_model(request, obj, form, change)
        record_change(
            firm=request.firm, obj=obj, before=before, verb="updated" if change else "created"
        )

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        before = snapshot(obj)
        super().delete_model(request, obj)
        record_change(firm=request.firm, obj=obj, before=before, verb="deleted")

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        # One transaction for the whole selection: every row goes with its event, or none.
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """Save inline rows one by one so each gets its own audit event."""
        befores = {
            f.instance.pk: snapshot(type(f.instance)._default_manager.get(pk=f.instance.pk))
            for f in formset.initial_forms
            if f.instance.pk and f.has_changed()
        }
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            before = snapshot(obj)
            pk = obj.pk
            obj.delete()
            obj.pk = pk
            record_change(firm=request.firm, obj=obj, before=before, verb="deleted")
        for obj in instances:
            is_new = obj.pk is None
            if is_new:
                obj.firm = request.firm
            obj.save()
            record_change(
                firm=request.firm,
                obj=obj,
                before=None if is_new else befores.get(obj.pk),
                verb="created" if is_new else "updated",
            )
        formset.save_m2m()


class FirmInline(admin.TabularInline):
    exclude = ("firm",)
    extra = 0

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_firm_admin(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_firm_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_firm_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_firm_admin(request)


class ReferenceDataAdmin(admin.ModelAdmin):
    """Shared reference data (securities, prices): firm admins may only look."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_firm_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_firm_admin(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
