from django.contrib.admin.apps import AdminConfig


class SupportQAAdminConfig(AdminConfig):
    """Django's admin with SupportQA's site (admins only, every change audited)."""

    default_site = "supportqa.admin_site.SupportQAAdminSite"
