"""Test hosts: Debian 12 machines in namespaces that Ansible reaches over SSH.

``image.py`` builds and caches the root file system, ``host.py`` starts and stops a host,
``ansible.py`` runs the real ``ansible-playbook``, ``fixtures.py`` holds the pytest fixtures.
"""
