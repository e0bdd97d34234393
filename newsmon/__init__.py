"""newsmon: scheduled monitoring of Azerbaijani English-language news for SCO–Azerbaijan coverage.

The application shell lives here (command line, config, errors, commands, demo); the layers it drives are
`newsmon.pipeline`, `newsmon.storage`, `newsmon.classifiers` and `newsmon.digests`. Nothing is imported
here, so a layer that imports `newsmon.errors` pulls in nothing of the shell.
"""
