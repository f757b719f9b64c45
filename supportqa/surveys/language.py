"""The fixed texts of the customer's survey page and invitation, per template language.

A template's own questions (its CSAT, low-score and high-score questions) replace the standard
ones when set; everything else the customer reads comes from here, in one language per page."""

from __future__ import annotations

from datetime import date

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Your feedback",
        "hello": "Hello {name},",
        "hello_anonymous": "Hello,",
        "about": "You contacted us about “{subject}” on {date}.",
        "helped_by": "{agent} helped you.",
        "csat": "How satisfied are you with the help you received?",
        "csat_low": "Very dissatisfied",
        "csat_high": "Very satisfied",
        "nps": "How likely are you to recommend us to a friend or colleague?",
        "nps_low": "Not at all likely",
        "nps_high": "Extremely likely",
        "ces": "How easy was it to get the help you needed?",
        "ces_low": "Very difficult",
        "ces_high": "Very easy",
        "send": "Send",
        "low": "What went wrong?",
        "high": "What went well?",
        "comment": "Anything else you would like to tell us? (optional)",
        "thanks": "Thank you for your feedback.",
        "more": "Would you tell us a little more? It helps us improve.",
        "done": "Your answers have reached us. You can close this page.",
        "answered": "You have already answered this survey. Thank you.",
        "your_answer": "Your answer",
        "choose": "Please choose an answer from {low} to {high}.",
        "expired_title": "This link has expired",
        "expired": "Survey links stay valid for {days} days. Thank you all the same.",
        "invalid_title": "This link is not valid",
        "invalid": "Please check that the whole link was copied from the message.",
        "limited_title": "Too many requests",
        "limited": "Please wait a minute and try again.",
        "mail_subject": "How did we do? Your request “{subject}”",
        "mail_body": "You recently contacted us about “{subject}”. Would you tell us how we "
        "did? It takes a minute:\n\n{link}\n\nThe link is valid until {until}.\n\nThank you,\n"
        "{organisation}",
        "date": "%d/%m/%Y",
    },
    "de": {
        "title": "Ihre Meinung",
        "hello": "Hallo {name},",
        "hello_anonymous": "Hallo,",
        "about": "Sie haben uns am {date} zu „{subject}“ kontaktiert.",
        "helped_by": "{agent} hat Ihnen geholfen.",
        "csat": "Wie zufrieden sind Sie mit der Hilfe, die Sie erhalten haben?",
        "csat_low": "Sehr unzufrieden",
        "csat_high": "Sehr zufrieden",
        "nps": "Wie wahrscheinlich ist es, dass Sie uns Freunden oder Kollegen empfehlen?",
        "nps_low": "Überhaupt nicht wahrscheinlich",
        "nps_high": "Äußerst wahrscheinlich",
        "ces": "Wie einfach war es, die benötigte Hilfe zu bekommen?",
        "ces_low": "Sehr schwierig",
        "ces_high": "Sehr einfach",
        "send": "Senden",
        "low": "Was ist schiefgelaufen?",
        "high": "Was hat Ihnen gefallen?",
        "comment": "Möchten Sie uns noch etwas mitteilen? (optional)",
        "thanks": "Vielen Dank für Ihre Rückmeldung.",
        "more": "Möchten Sie uns etwas mehr erzählen? Das hilft uns, besser zu werden.",
        "done": "Ihre Antworten sind bei uns angekommen. Sie können diese Seite schließen.",
        "answered": "Sie haben diese Umfrage bereits beantwortet. Vielen Dank.",
        "your_answer": "Ihre Antwort",
        "choose": "Bitte wählen Sie eine Antwort von {low} bis {high}.",
        "expired_title": "Dieser Link ist abgelaufen",
        "expired": "Umfragelinks sind {days} Tage gültig. Trotzdem vielen Dank.",
        "invalid_title": "Dieser Link ist ungültig",
        "invalid": "Bitte prüfen Sie, ob der ganze Link aus der Nachricht kopiert wurde.",
        "limited_title": "Zu viele Anfragen",
        "limited": "Bitte warten Sie eine Minute und versuchen Sie es erneut.",
        "mail_subject": "Wie waren wir? Ihre Anfrage „{subject}“",
        "mail_body": "Sie haben uns kürzlich zu „{subject}“ kontaktiert. Sagen Sie uns, wie wir "
        "waren? Es dauert eine Minute:\n\n{link}\n\nDer Link ist bis {until} gültig.\n\nVielen "
        "Dank,\n{organisation}",
        "date": "%d.%m.%Y",
    },
    "fr": {
        "title": "Votre avis",
        "hello": "Bonjour {name},",
        "hello_anonymous": "Bonjour,",
        "about": "Vous nous avez contactés au sujet de « {subject} » le {date}.",
        "helped_by": "{agent} vous a aidé.",
        "csat": "Êtes-vous satisfait de l’aide que vous avez reçue ?",
        "csat_low": "Très insatisfait",
        "csat_high": "Très satisfait",
        "nps": "Quelle est la probabilité que vous nous recommandiez à un ami ou un collègue ?",
        "nps_low": "Pas du tout probable",
        "nps_high": "Très probable",
        "ces": "Était-il facile d’obtenir l’aide dont vous aviez besoin ?",
        "ces_low": "Très difficile",
        "ces_high": "Très facile",
        "send": "Envoyer",
        "low": "Qu’est-ce qui n’a pas fonctionné ?",
        "high": "Qu’est-ce qui vous a plu ?",
        "comment": "Souhaitez-vous ajouter quelque chose ? (facultatif)",
        "thanks": "Merci pour votre avis.",
        "more": "Pouvez-vous nous en dire un peu plus ? Cela nous aide à progresser.",
        "done": "Vos réponses nous sont parvenues. Vous pouvez fermer cette page.",
        "answered": "Vous avez déjà répondu à cette enquête. Merci.",
        "your_answer": "Votre réponse",
        "choose": "Veuillez choisir une réponse de {low} à {high}.",
        "expired_title": "Ce lien a expiré",
        "expired": "Les liens d’enquête sont valables {days} jours. Merci tout de même.",
        "invalid_title": "Ce lien n’est pas valide",
        "invalid": "Vérifiez que le lien complet a été copié depuis le message.",
        "limited_title": "Trop de demandes",
        "limited": "Veuillez patienter une minute et réessayer.",
        "mail_subject": "Comment avons-nous fait ? Votre demande « {subject} »",
        "mail_body": "Vous nous avez récemment contactés au sujet de « {subject} ». Pouvez-vous "
        "nous dire ce que vous en avez pensé ? Cela prend une minute :\n\n{link}\n\nLe lien est "
        "valable jusqu’au {until}.\n\nMerci,\n{organisation}",
        "date": "%d/%m/%Y",
    },
    "es": {
        "title": "Su opinión",
        "hello": "Hola, {name}:",
        "hello_anonymous": "Hola:",
        "about": "Nos contactó sobre «{subject}» el {date}.",
        "helped_by": "Le atendió {agent}.",
        "csat": "¿Qué tan satisfecho está con la ayuda que recibió?",
        "csat_low": "Muy insatisfecho",
        "csat_high": "Muy satisfecho",
        "nps": "¿Qué probabilidad hay de que nos recomiende a un amigo o colega?",
        "nps_low": "Nada probable",
        "nps_high": "Muy probable",
        "ces": "¿Qué tan fácil fue obtener la ayuda que necesitaba?",
        "ces_low": "Muy difícil",
        "ces_high": "Muy fácil",
        "send": "Enviar",
        "low": "¿Qué salió mal?",
        "high": "¿Qué salió bien?",
        "comment": "¿Desea contarnos algo más? (opcional)",
        "thanks": "Gracias por su opinión.",
        "more": "¿Nos cuenta un poco más? Nos ayuda a mejorar.",
        "done": "Hemos recibido sus respuestas. Puede cerrar esta página.",
        "answered": "Ya respondió esta encuesta. Gracias.",
        "your_answer": "Su respuesta",
        "choose": "Elija una respuesta de {low} a {high}.",
        "expired_title": "Este enlace ha caducado",
        "expired": "Los enlaces de encuesta son válidos durante {days} días. Gracias de todos "
        "modos.",
        "invalid_title": "Este enlace no es válido",
        "invalid": "Compruebe que copió el enlace completo del mensaje.",
        "limited_title": "Demasiadas solicitudes",
        "limited": "Espere un minuto y vuelva a intentarlo.",
        "mail_subject": "¿Cómo lo hicimos? Su solicitud «{subject}»",
        "mail_body": "Hace poco nos contactó sobre «{subject}». ¿Nos dice qué tal lo hicimos? Le "
        "llevará un minuto:\n\n{link}\n\nEl enlace es válido hasta el {until}.\n\nGracias,\n"
        "{organisation}",
        "date": "%d/%m/%Y",
    },
    "nl": {
        "title": "Uw mening",
        "hello": "Hallo {name},",
        "hello_anonymous": "Hallo,",
        "about": "U nam op {date} contact met ons op over ‘{subject}’.",
        "helped_by": "{agent} heeft u geholpen.",
        "csat": "Hoe tevreden bent u over de hulp die u kreeg?",
        "csat_low": "Zeer ontevreden",
        "csat_high": "Zeer tevreden",
        "nps": "Hoe waarschijnlijk is het dat u ons aanbeveelt aan een vriend of collega?",
        "nps_low": "Helemaal niet waarschijnlijk",
        "nps_high": "Zeer waarschijnlijk",
        "ces": "Hoe gemakkelijk was het om de hulp te krijgen die u nodig had?",
        "ces_low": "Zeer moeilijk",
        "ces_high": "Zeer gemakkelijk",
        "send": "Versturen",
        "low": "Wat ging er mis?",
        "high": "Wat ging er goed?",
        "comment": "Wilt u ons nog iets laten weten? (optioneel)",
        "thanks": "Bedankt voor uw reactie.",
        "more": "Wilt u ons iets meer vertellen? Dat helpt ons beter te worden.",
        "done": "Uw antwoorden zijn bij ons aangekomen. U kunt deze pagina sluiten.",
        "answered": "U hebt deze enquête al beantwoord. Bedankt.",
        "your_answer": "Uw antwoord",
        "choose": "Kies een antwoord van {low} tot {high}.",
        "expired_title": "Deze link is verlopen",
        "expired": "Enquêtelinks zijn {days} dagen geldig. Toch bedankt.",
        "invalid_title": "Deze link is ongeldig",
        "invalid": "Controleer of de hele link uit het bericht is gekopieerd.",
        "limited_title": "Te veel verzoeken",
        "limited": "Wacht een minuut en probeer het opnieuw.",
        "mail_subject": "Hoe deden we het? Uw vraag ‘{subject}’",
        "mail_body": "U nam onlangs contact met ons op over ‘{subject}’. Wilt u ons vertellen hoe "
        "we het deden? Het kost een minuut:\n\n{link}\n\nDe link is geldig tot {until}.\n\n"
        "Bedankt,\n{organisation}",
        "date": "%d-%m-%Y",
    },
}


def texts(language: str) -> dict[str, str]:
    """The language's texts (English for a language we do not have)."""
    return TEXTS.get(language, TEXTS["en"])


def day(value: date, language: str) -> str:
    return value.strftime(texts(language)["date"])


def first_name(full_name: str) -> str:
    """The first word of a name: the page and the mail greet by first name, nothing more."""
    parts = full_name.split()
    return parts[0] if parts else ""
