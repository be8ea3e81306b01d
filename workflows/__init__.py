"""The process library shipped with Baguan: BPMN diagrams and DMN decision tables (package data).

``baguan deploy`` finds them through ``webapp.library.workflows_dir``, in a source checkout and in a wheel alike.
"""
