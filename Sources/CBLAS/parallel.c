/* A parallel loop for the CPU backend's elementwise work and attention heads: the range is cut into one contiguous
   piece per worker; the caller runs the first piece and joins the others. */
#include <pthread.h>
#include "cblas_loader.h"

typedef struct {
    bertinspect_range_fn body;
    void *context;
    long begin, end;
} piece_t;

static void *run_piece(void *argument) {
    piece_t *piece = (piece_t *)argument;
    piece->body(piece->context, piece->begin, piece->end);
    return NULL;
}

void bertinspect_parallel_for(long count, int workers, bertinspect_range_fn body, void *context) {
    if (count <= 0) return;
    if (workers > 16) workers = 16;
    if (workers > count) workers = (int)count;
    if (workers <= 1) { body(context, 0, count); return; }
    piece_t pieces[16];
    pthread_t threads[16];
    int started[16] = {0};
    for (int i = 0; i < workers; i++) {
        pieces[i] = (piece_t){body, context, count * i / workers, count * (i + 1) / workers};
    }
    for (int i = 1; i < workers; i++) started[i] = pthread_create(&threads[i], NULL, run_piece, &pieces[i]) == 0;
    /* A piece whose thread could not start runs here, after the caller's own. */
    run_piece(&pieces[0]);
    for (int i = 1; i < workers; i++) {
        if (started[i]) pthread_join(threads[i], NULL); else run_piece(&pieces[i]);
    }
}
