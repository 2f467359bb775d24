"""A new account gets an activation e-mail through the outbox, whose link lets the person choose a password."""

import re

from django.core import mail
from django.test import Client
from django.urls import reverse

from parcours.core import services
from parcours.core.models import User
from parcours.notifications import outbox
from parcours.notifications.models import Message
from tests import factories


def _create(admin, email="nouvelle.agente@caf92.fr"):
    caf = factories.caf("92")
    return services.create_user(
        actor=admin,
        email=email,
        first_name="Awa",
        last_name="Diallo",
        organisation=caf,
        roles=["social_worker"],
    )


def test_creating_an_account_queues_an_activation_mail_whose_link_sets_the_password(db, client_for):
    admin = factories.make_user("admin")
    user = _create(admin)
    message = Message.objects.get(template="notifications.staff_account_activation")
    assert message.context == {"user_id": user.pk}
    assert not mail.outbox  # nothing leaves during the request: the worker sends it
    outbox.deliver_due()
    body = mail.outbox[0].body
    assert mail.outbox[0].to == [user.email] and "activer" in mail.outbox[0].subject
    link = re.search(r"https?://\S+/(gestion/\S+)", body).group(0)
    client = Client()
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    response = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link,
        {
            "new_password1": "Tamarin-Volcan-Lagune-9731",
            "new_password2": "Tamarin-Volcan-Lagune-9731",
        },
    )
    assert response.status_code == 302, re.findall(
        r"invalid-feedback[^>]*>([^<]*)", response.content.decode()
    )
    user.refresh_from_db()
    assert user.check_password("Tamarin-Volcan-Lagune-9731")
    message.refresh_from_db()
    assert "[masqué]" in message.body  # the link is never stored


def test_the_link_is_not_sent_once_the_account_has_a_password(db):
    admin = factories.make_user("admin")
    user = _create(admin, email="deja.active@caf92.fr")
    user.set_password("Tamarin-Volcan-Lagune-9731")
    user.save()
    outbox.deliver_due()
    assert not mail.outbox


def test_the_admin_is_told_an_activation_mail_leaves(db, client_for):
    admin = factories.make_user("admin")
    caf = factories.caf("92")
    response = client_for(admin).post(
        reverse("backoffice:user-create"),
        {
            "email": "troisieme@caf92.fr",
            "first_name": "Léa",
            "last_name": "Hoarau",
            "organisation": caf.pk,
            "roles": ["social_worker"],
        },
        follow=True,
    )
    html = response.content.decode()
    assert "activation lui est envoyé" in html
    assert User.objects.filter(email="troisieme@caf92.fr").exists()
    assert Message.objects.filter(template="notifications.staff_account_activation").count() == 1
