"""Every file the workbench reads or writes, done safely: hostile input bounded, outputs whole.

``fileio``      the one atomic writer; OSErrors of the machine as one OutputError naming the path
``jsonplain``   numpy values to plain JSON; the one format/version check of every saved JSON
``safeyaml``    the one YAML library (ruamel.yaml round-trip, YAML 1.2, bounded) for every human-edited file
``safeids``     ids that are names portable to Windows and macOS; report folders inside the reports root
``cleantext``   characters no workbook or deck can hold
``limits``      file size / type / shape limits
``modelcheck``  model.json checks (finite numbers, k, probabilities)
``locking``     one run (or ``workbench deck``) per wave at a time: the wave lock
``outputs``     report folders written whole, manifests, hashes, client workbooks and safe text cells

These import only :mod:`workbench.core` and each other (tests/test_import_graph.py).
"""
