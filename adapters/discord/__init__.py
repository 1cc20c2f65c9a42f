"""The Discord adapter: the discord.py client (``client``), settings from the environment
(``config``), rendering within Discord's limits (``render``), buttons and modals (``views``) and the
glue between Discord ids and core references (``glue``). The slash commands live in
``cogs/interview.py``. Importing this package does not import discord.py; its modules do.
"""
