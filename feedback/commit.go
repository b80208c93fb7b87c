package feedback

// committer gathers the submissions waiting and commits them in one
// transaction on SQLite (group commit).
type committer struct {
	quit chan struct{}
	done chan struct{}
}

// stop ends the committer once what it holds is committed.
func (c *committer) stop() {
	close(c.quit)
	<-c.done
}
