"""What every room may import, importing nothing of the package but each other.

``errors``      the one exception family (``WorkbenchError`` and its subclasses, ``WorkbenchWarning``)
``provenance``  the one UTC time stamp, package-version collector and seed normaliser
``progress``    the one progress bar (terminal and notebook)
``workers``     parallel workers that end with the process
``stats``       small statistics once (Wilson, Holm/BH, z and Welch tests, Kish n, the multinomial logit)
``measures``    every KPI / behavioural measure: label, unit, format, direction; which columns are keys
``language``    numbers and measure labels per language
``summary``     the one renderer of results (text, HTML for notebooks, workbook sheets)

Import the modules themselves (``from workbench.core.errors import DataError``): this file
imports nothing, so ``import workbench.segments`` stays light.
"""
