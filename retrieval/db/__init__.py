"""The database: engines, sessions, migrations, the corpus tables and claims across replicas."""
