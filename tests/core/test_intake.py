"""Step 1's urgency and complexity scores: each signal counted once, with its reason."""

from __future__ import annotations

from supportqa.core.intake import complexity, urgency


def test_an_outage_with_an_angry_customer_is_urgent_and_says_why():
    scored = urgency("Your app is down again and this is absolutely terrible, I am furious!")
    assert scored.level == "high"
    assert scored.reasons[0] == "outage or urgency words (“is down”)"
    assert scored.reasons[1].startswith("very negative customer (sentiment -")
    assert scored.score == 65


def test_a_calm_question_is_not_urgent_until_its_context_says_so():
    calm = urgency("How do I change the e-mail address on my account?")
    assert (calm.score, calm.level, calm.reasons) == (0, "low", [])
    context = urgency("How do I change the e-mail address on my account?", repeat_contact=True,
                      vip=True, sla_at_risk=True)  # fmt: skip
    assert context.score == 65 and context.level == "high"
    assert context.reasons == [
        "repeat contact: the customer wrote about this category lately",
        "VIP customer",
        "no reply yet and the first-reply target is passed",
    ]


def test_several_issues_long_text_and_a_slow_category_add_up_to_complex():
    one = complexity("Where is my parcel?")
    assert (one.score, one.level) == (0, "low")
    several = complexity(
        "Where is my parcel? Also, can I change the address? And why was I charged twice?",
        category_weight=20, category="Billing inquiry",
    )  # fmt: skip
    assert several.reasons == [
        "about 3 issues in one request",
        "Billing inquiry usually takes longer to resolve",
    ]
    assert several.score == 50 and several.level == "medium"
    long = complexity(" ".join(["word"] * 130))
    assert long.reasons == ["long request (130 words)"] and long.score == 20


def test_required_information_is_recognised_in_the_customers_words():
    from supportqa.core.intake import INFO_ITEMS, clarification, missing_information

    said = {
        "order_number": ["order #A-2231984", "Order number: 558812", "my order 4471932"],
        "email": ["write to ann.lee+shop@example.co.uk"],
        "phone": ["call me on +44 20 7946 0958", "my number is 0612 345 678"],
        "account": ["account id: ann_lee42", "customer number 99812"],
        "amount": ["charged €12.50", "it was 40 EUR", "paid $9"],
        "date": ["on 12/03 it broke", "since yesterday", "on Monday", "since 2026-11-30"],
    }
    for key, examples in said.items():
        for text in examples:
            assert missing_information(text, [key]) == [], (key, text)
    assert missing_information("Hello, it does not work.", list(INFO_ITEMS)) == [
        label for label, _ in INFO_ITEMS.values()
    ]
    assert missing_information("anything", ["no-such-item"]) == []
    assert clarification(["a", "b", "c"]).endswith("could you send us a, b and c?")
    assert clarification([]) == ""
