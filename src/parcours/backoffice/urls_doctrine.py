"""Staff URLs of the doctrine (namespace backoffice); the public interface is /gestion/doctrine/…"""

from django.urls import path

from parcours.backoffice.views import doctrine as views

urlpatterns: list = [
    path("doctrine/", views.search, name="doctrine-search"),
    path("doctrine/nouvelle/", views.create, name="doctrine-create"),
    path("doctrine/inventaire/", views.inventory, name="doctrine-inventory"),
    path("doctrine/synthese/", views.synthesis, name="doctrine-synthesis"),
    path("doctrine/document/", views.document, name="doctrine-document"),
    path("doctrine/document/composer/", views.document_edit, name="doctrine-document-edit"),
    path("doctrine/import/", views.import_view, name="doctrine-import"),
    path("doctrine/<int:pk>/", views.detail, name="doctrine-detail"),
    path("doctrine/<int:pk>/versions/", views.compare, name="doctrine-compare"),
    path("doctrine/<int:pk>/modifier/", views.edit, name="doctrine-edit"),
    path("doctrine/<int:pk>/brouillon/", views.autosave, name="doctrine-autosave"),
    path("doctrine/<int:pk>/pieces/", views.attach, name="doctrine-attach"),
    path("doctrine/pieces/<int:pk>/", views.attachment, name="doctrine-attachment"),
    path("doctrine/<int:pk>/soumettre/", views.submit, name="doctrine-submit"),
    path("doctrine/<int:pk>/a-revoir/", views.request_changes, name="doctrine-request-changes"),
    path("doctrine/<int:pk>/valider/", views.validate, name="doctrine-validate"),
    path("doctrine/<int:pk>/publier/", views.publish, name="doctrine-publish"),
    path("doctrine/<int:pk>/archiver/", views.archive, name="doctrine-archive"),
    path("doctrine/<int:pk>/themes/", views.themes, name="doctrine-themes"),
]
