"""The built-in XGBoost container of each image version (aws/sagemaker-xgboost-container at its tag): which
hyperparameters it accepts and how it checks them, how it reads training data, how it saves the model."""
