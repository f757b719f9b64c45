"""Who sees the social posts: the org-wide quality roles (posts are the brand's, no team's)."""

from __future__ import annotations

from django.db.models import QuerySet

from supportqa.accounts.access import get_in_scope
from supportqa.accounts.models import User
from supportqa.accounts.permissions import may_monitor_social
from supportqa.social.models import Post


def posts_for(user: User) -> QuerySet[Post]:
    return Post.objects.all() if may_monitor_social(user) else Post.objects.none()


def get_post_for_user(user: User, code: str) -> Post:
    return get_in_scope(
        posts_for(user).select_related("customer", "conversation", "category", "triaged_by"),
        code,
        "post",
    )
