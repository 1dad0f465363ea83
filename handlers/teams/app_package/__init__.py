"""The Teams app package: the manifest template, the icons, and `package.build_package` that zips them."""
