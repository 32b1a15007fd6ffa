"""The write API: authentication, HTTP -> command, errors as problem details."""
