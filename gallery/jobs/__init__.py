"""Jobs from the gallery's side: what a visitor may ask for (`inputs`), the jobs API (`apis`),
and the services that turn a painted job into artworks (`services`). The job itself, its queue
and its painting are `generation`'s."""
