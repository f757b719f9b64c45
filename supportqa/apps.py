from django.contrib.admin.apps import AdminConfig


class SupportQAAdminConfig(AdminConfig):
    """Django's admin with SupportQA's site (admins only, every change audited); the first
    app, so project-wide database lookups are registered here."""

    default_site = "supportqa.admin_site.SupportQAAdminSite"

    def ready(self) -> None:
        from supportqa import lookups

        lookups.register()
        super().ready()
