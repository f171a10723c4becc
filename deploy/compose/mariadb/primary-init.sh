#!/bin/bash
# Not executable on purpose: the entrypoint sources it, which gives it docker_process_sql.
# Sourced by the mariadb image's entrypoint on the primary's first start: the account the replica
# replicates with (deploy/compose/fleet.yml).
docker_process_sql --database=mysql <<-SQL
	CREATE USER 'replication'@'%' IDENTIFIED BY '${REPLICATION_PASSWORD}';
	GRANT REPLICATION SLAVE ON *.* TO 'replication'@'%';
SQL
