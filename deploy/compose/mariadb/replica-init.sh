#!/bin/bash
# Not executable on purpose: the entrypoint sources it, which gives it docker_process_sql.
# Sourced by the mariadb image's entrypoint on the replica's first start
# (deploy/compose/fleet.yml). The replica made the same database and app user itself, so it replicates from
# the primary's position now (before any app has written), by GTID. The server that starts after
# this initialisation starts the replication threads by itself.
position=$(mariadb --host="${PRIMARY_HOST}" --user=replication --password="${REPLICATION_PASSWORD}" \
  --skip-column-names --execute='SELECT @@gtid_binlog_pos')
docker_process_sql --database=mysql <<-SQL
	SET GLOBAL gtid_slave_pos = '${position}';
	CHANGE MASTER TO MASTER_HOST='${PRIMARY_HOST}', MASTER_USER='replication',
	  MASTER_PASSWORD='${REPLICATION_PASSWORD}', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=5;
SQL
