"""What the reviews app tells the apps built on it, so that it imports none of them."""

from django.dispatch import Signal

# Sent inside the submitting transaction, before the review is saved, with `review` (its
# first submission, outside calibration): a receiver may set fields the save will store, as
# assignments does with the inclusion probability of a queued conversation.
review_submitted = Signal()
