"""Reading files people upload: safe archive handling and vector data in EPSG:4326.

:mod:`geo.io.archives` opens zip files defensively; :mod:`geo.io.vector` reads any
supported vector format and reprojects it.
"""
