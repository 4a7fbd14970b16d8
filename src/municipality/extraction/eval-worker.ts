// Worker thread entry for large extraction runs (decision 0063): evaluates the chunks the run sends.
import { parentPort, workerData } from 'node:worker_threads';
import { serveEvaluations, type WorkerInit } from './evaluate.js';

if (parentPort) serveEvaluations(parentPort, workerData as WorkerInit);
