"""API URLs of the pathways module (namespace api)."""

urlpatterns: list = []
