"""Staff URLs of the notifications module (namespace backoffice)."""

from django.urls import path

from parcours.backoffice.views import notifications

urlpatterns: list = [
    path("messages/", notifications.outbox, name="outbox"),
    path("messages/<int:pk>/", notifications.message_detail, name="message-detail"),
    path("messages/<int:pk>/renvoyer/", notifications.message_retry, name="message-retry"),
    path("messages/<int:pk>/annuler/", notifications.message_cancel, name="message-cancel"),
]
