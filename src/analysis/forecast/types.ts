/** Shapes shared by the forecasting models, the back-test and the public entry point. */

/** Point forecasts with their 80 % and 95 % prediction intervals, one entry per step ahead. */
export interface Band {
  mean: number[];
  lo80: number[];
  hi80: number[];
  lo95: number[];
  hi95: number[];
}

/** A model fitted to one regular series, able to forecast any number of steps past its end. */
export interface FittedModel {
  /** Candidate id, e.g. `holt-winters-additive`. */
  name: string;
  /** Fitted parameters in words, e.g. `alpha=0.21 beta=0.01 gamma=0.12`. */
  description: string;
  forecast(horizon: number): Band;
}

/** A model family the back-test can try: how much history it needs, and how to fit it. */
export interface Candidate {
  id: string;
  /** Fewest training points the fit accepts. */
  minLength: number;
  fit(values: readonly number[]): FittedModel;
}
