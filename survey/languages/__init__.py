"""Languages of the citizen's survey beyond the instrument file: translation sheets and audio.

The instrument file carries Vietnamese and English. Any other language is data: an officer
exports a translation sheet (code, Vietnamese, target), a translator fills it, and the import
stores it in the database, layered over the instrument, once every text is translated. Only
complete languages are offered to citizens. Recordings of questions and answers (for people
who read poorly) are stored per language and code.
"""
