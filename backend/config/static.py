"""Static files under names with their content's hash, once collected.

``collectstatic`` writes each file also under a name with its content's hash
(``main.3f2a…js``), rewriting the module imports and CSS ``url()``s that name
other files, and a manifest; pages then name the hashed files, which WhiteNoise
serves with a year's caching: an upgrade's files can't be mixed with an older
version's kept by a browser or a proxy. Before anything is collected (development,
tests), a file is named as it is, served from the apps' folders.
"""

from django.contrib.staticfiles.storage import ManifestStaticFilesStorage


class HashedWhenCollected(ManifestStaticFilesStorage):
    # `import … from "./room/icons.js"` in the page's modules names hashed files too.
    support_js_module_import_aggregation = True

    def stored_name(self, name: str) -> str:
        try:
            return super().stored_name(name)
        except ValueError:  # not collected (no manifest, or not in it): its own name
            return name
