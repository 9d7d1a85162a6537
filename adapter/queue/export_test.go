package queue

// ShardLock is the advisory lock key of a run's shard, for tests that
// hold it as another worker would.
func ShardLock(run RunID, shard int) int64 {
	return shardLock(shardArgs{Run: int64(run), Shard: shard})
}
