"""Group practice (issue 11), the part every chat adapter shares.

Discord cogs and the Slack adapter call these functions and show the strings they return; no
module here imports a chat SDK. One job per module:

- ``errors``       ``CommunityError``: a refusal whose ``str()`` is the message for the user
- ``scope``        per server/workspace settings (``ScopeSettings``): channels, length, voice,
                   retention, leaderboard; load/save/validate through the store
- ``participants`` who may be in a session besides the candidate (observer, interviewer), and
                   inviting/removing them (only the candidate may)
- ``scoring``      people's 1-5 scores per question on the bot's rubric, and the recap's
                   bot-vs-observers comparison
- ``peer``         peer mode: the interviewer's private notes vs the candidate's view; role swap
- ``queue``        the practice queue: role types, join/match, expiry with a polite requeue offer
- ``leaderboard``  weekly practice streaks (sessions completed, never scores), opt-in per scope
- ``schedule``     reminders: parsing "tomorrow 18:00", persistence, the delivery loop, ``.ics``
- ``prefs``        per-user preferences: the audio opt-in and the time zone

Keys: users are ``UserRef.key`` (``discord:123``), scopes are ``discord:<guild id>`` or
``slack:<team id>``, conversations are ``ConversationRef.key``.
"""
